# plugins/blob/plugin.mk - the blob plugin: a record's body to one file,
# through the emulator plugin's file backend (shared, not copied).
PLUGINS += blob
blob_SRCS := plugins/blob/blob.c plugins/emulator/filebk.c \
             plugins/xenstore/tmpl.c
blob_DEPS := plugins/emulator/filebk.h plugins/xenstore/tmpl.h
