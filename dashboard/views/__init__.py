"""One module per dashboard page: what the page shows, computed (figures, masking, sentences); the page lays it out."""
