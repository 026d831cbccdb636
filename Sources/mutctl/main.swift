print("mutctl")
