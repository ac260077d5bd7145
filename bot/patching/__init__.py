"""Patches from a model's reply: the edits found in it, applied exactly and all or nothing."""

from bot.patching.applying import apply, place_files
from bot.patching.edits import FileEdit
from bot.patching.outcomes import EditApplyError, TieBreak
from bot.patching.reply import NoEditFound, RefusedReply, ReplyError, find_edits

__all__ = [
    "EditApplyError",
    "FileEdit",
    "NoEditFound",
    "RefusedReply",
    "ReplyError",
    "TieBreak",
    "apply",
    "find_edits",
    "place_files",
]
