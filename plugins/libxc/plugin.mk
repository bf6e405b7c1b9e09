# plugins/libxc/plugin.mk - the LIBXC_CONTEXT handler: verifies the inline
# libxc stream itself, or restores it through libxenguest.
PLUGINS += libxc
libxc_SRCS := plugins/libxc/libxc.c plugins/libxc/verify.c \
              plugins/libxc/records.c plugins/libxc/report.c \
              plugins/libxc/restore.c plugins/libxc/helper.c \
              plugins/libxc/pfnmap.c plugins/libxc/pvpt.c plugins/libxc/ptread.c \
              plugins/libxc/policy.c plugins/libxc/hvm.c plugins/libxc/xlcfg.c
libxc_DEPS := plugins/libxc/libxc.h plugins/libxc/helper.h \
              plugins/libxc/xenapi.h plugins/common/fdio.h
# libxenguest/libxenctrl are dlopen()ed by restore.c for a real restore.
libxc_LIBS := -ldl -lyajl
# Xen's public headers (xenctrl.h -> hvm/save.h) refuse strict ISO C:
# they use anonymous unions.  GNU C11 for this plugin only.
libxc_CFLAGS := -std=gnu11
