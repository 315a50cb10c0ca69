#!/bin/sh
# The README's library example must compile against the headers as they
# are: take the C block under "## Using the library", put its statements
# in a main, and compile it (-fsyntax-only: it needs no data to be right).
set -e
readme="$1"; include="$2"; out="${3:-readme_snippet.c}"
awk '/^## Using the library/{on=1} on && /^```c$/{grab=1; next} grab && /^```$/{exit} grab' "$readme" > "$out.body"
test -s "$out.body"
{
  grep '^#include' "$out.body"
  echo '#include <stdio.h>'
  echo 'int main(void) {'
  grep -v '^#include' "$out.body"
  echo 'return 0; }'
} > "$out"
cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$include" "$out"
