def built_helper():
    return 1
