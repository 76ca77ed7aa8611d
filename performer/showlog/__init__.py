"""The show log: what a show consumed, frame by frame, so it can be rendered again."""
