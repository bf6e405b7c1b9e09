# plugins/export/plugin.mk - guest memory out of the libxc stream (ELF
# core, raw, LiME), bound to LIBXC_CONTEXT by conf/export.ini.
PLUGINS += export
export_SRCS := plugins/export/export.c plugins/export/walk.c \
               plugins/export/store.c plugins/export/map.c \
               plugins/export/cpu.c plugins/export/out.c \
               plugins/export/elf.c plugins/export/lime.c \
               plugins/export/dumpcore.c plugins/export/plan.c \
               plugins/export/stream.c
export_DEPS := plugins/export/export.h
# Xen's public headers (hvm/save.h) use anonymous unions: GNU C11.
export_CFLAGS := -std=gnu11 -D__XEN_TOOLS__
