"""yiyang: smart elderly-care service platform for a city district."""
