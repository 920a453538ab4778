"""The gazetteer: places searched by name or pinyin initials, offline."""
