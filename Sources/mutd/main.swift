print("mutd")
