def generated_helper(x):
    return x
