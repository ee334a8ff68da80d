#ifndef COALITION_CJPEG_SHIM_H
#define COALITION_CJPEG_SHIM_H
#include <turbojpeg.h>
#endif
