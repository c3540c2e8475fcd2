"""The FAQ knowledge base: the articles (`knowledge.articles`), searched by meaning (`.search`)."""
