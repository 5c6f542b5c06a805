"""File formats, read without knowing the sources: encoding, layouts, fixed width, delimited text, XML."""
