"""From source files to Post values: layouts, decoding, frontmatter, Markdown and safe HTML."""
