"""Image files: the one reader of an image root's account files, and image configs."""
