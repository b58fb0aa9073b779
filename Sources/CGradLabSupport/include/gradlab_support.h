#ifndef GRADLAB_SUPPORT_H
#define GRADLAB_SUPPORT_H

/// Sets (on != 0) or clears flush-to-zero and denormals-are-zero for the calling thread's
/// floating-point unit (x86 MXCSR FTZ|DAZ, arm64 FPCR.FZ). Returns 1 if the platform supports it.
int gradlab_set_flush_denormals(int on);
/// 1 if flush-to-zero is on for the calling thread.
int gradlab_flush_denormals(void);

#endif
