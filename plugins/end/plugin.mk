PLUGINS += end
end_SRCS := plugins/end/end.c
