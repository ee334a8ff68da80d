#ifndef COALITION_CPNG_SHIM_H
#define COALITION_CPNG_SHIM_H
#include <png.h>
#endif
