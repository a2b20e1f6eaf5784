def venv_helper():
    return 1
