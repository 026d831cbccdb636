// Linux shells
