#ifndef COALITION_CWEBP_SHIM_H
#define COALITION_CWEBP_SHIM_H
#include <webp/decode.h>
#include <webp/demux.h>
#endif
