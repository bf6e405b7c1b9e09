# plugins/examples/plugin.mk - the example plugins, one folder each; the
# top Makefile only looks one level down, so this file brings them in.
include $(sort $(wildcard plugins/examples/*/plugin.mk))
