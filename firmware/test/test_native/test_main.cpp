// Host unit tests of the hardware-free firmware libraries (doctest). Run by `make test` through
// tests/firmware/test_host_units.py, or by `pio test -e native`.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest.h>
