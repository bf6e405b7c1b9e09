PLUGINS += colo
colo_SRCS := plugins/colo/colo.c
