/* SPDX-License-Identifier: MIT */
/*
 * model.h - a program seen through its inputs and outputs, shared by the
 * caller, runners and queues through a reference count.
 */
#ifndef NPURT_MODEL_H
#define NPURT_MODEL_H

#include "program.h"

struct npurt_model {
	atomic_uint refs;
	npurt_program *prog;
	char *summary;
};

npurt_model *npurt_model_get(npurt_model *model);
void npurt_model_put(npurt_model *model);

#endif /* NPURT_MODEL_H */
