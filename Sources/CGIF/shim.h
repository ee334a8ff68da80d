#ifndef COALITION_CGIF_SHIM_H
#define COALITION_CGIF_SHIM_H
#include <gif_lib.h>
#endif
