/* The least a Cortex-M4 needs to run the harness under qemu (mps2-an386):
 * a vector table, .data copied and .bss zeroed, the FPU enabled when the
 * code uses it, main called; a fault reports itself and exits rather than
 * hanging the emulator. */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void axon_exit(int status);

static void fault(void)
{
    static const char msg[] = "axon-mcu: fault\n";
    register int r0 __asm__("r0") = 0x04; /* SYS_WRITE0 */
    register const char *r1 __asm__("r1") = msg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    axon_exit(3);
}

void reset(void)
{
    for (uint32_t *s = &_sidata, *d = &_sdata; d < &_edata;)
        *d++ = *s++;
    for (uint32_t *d = &_sbss; d < &_ebss;)
        *d++ = 0;
#if defined(__ARM_FP)
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10 and CP11, full access */
    __asm__ volatile("dsb\n\tisb");
#endif
    axon_exit(main());
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(&_estack), reset, fault, fault, fault, fault, fault, 0, 0, 0, 0, fault, fault, 0, fault, fault};
