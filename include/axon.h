/* axon: a deep-learning framework in C. The umbrella header. */
#ifndef AXON_H
#define AXON_H

#define AXON_VERSION_MAJOR 0
#define AXON_VERSION_MINOR 1
#define AXON_VERSION_PATCH 0
#define AXON_VERSION "0.1.0"

#include "axon/core.h"
#include "axon/tensor.h"
#include "axon/graph.h"
#include "axon/nn.h"
#include "axon/optim.h"
#include "axon/data.h"
#include "axon/train.h"
#include "axon/safetensors.h"
#include "axon/spec.h"
#include "axon/checkpoint.h"
#include "axon/model_file.h"
#include "axon/plot.h"
#include "axon/text.h"
#include "axon/quant.h"
#include "axon/onnx.h"
#include "axon/dist.h"

#endif
