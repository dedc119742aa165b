"""The Qt-free core: conversations, facts, proposals, decisions and memories."""
