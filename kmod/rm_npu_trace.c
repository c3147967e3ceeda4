// SPDX-License-Identifier: GPL-2.0
/* rm_npu tracepoints: the one place they are defined (rm_npu_trace.h). */
#define CREATE_TRACE_POINTS
#include "rm_npu_trace.h"
