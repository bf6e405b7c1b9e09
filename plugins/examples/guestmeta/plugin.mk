PLUGINS += guestmeta
guestmeta_SRCS := plugins/examples/guestmeta/guestmeta.c \
                  plugins/examples/guestmeta/atomic.c \
                  plugins/examples/guestmeta/json.c
guestmeta_DEPS := plugins/examples/guestmeta/json.h \
                  plugins/examples/guestmeta/atomic.h
guestmeta_CFLAGS := $(YAJL_CFLAGS)
guestmeta_LIBS := $(YAJL_LIBS)
# An example: built for the tests, installed as sources under the doc
# directory (never beside the production plugins).
EXAMPLE_PLUGINS += guestmeta
