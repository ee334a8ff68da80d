#ifndef COALITION_CSODIUM_SHIM_H
#define COALITION_CSODIUM_SHIM_H
#include <sodium.h>
#endif
