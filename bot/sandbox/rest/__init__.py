"""GitHub's REST API as the sandbox serves it, one module per resource, in api.github.com's URL,
status code and JSON shapes."""

from bot.sandbox.rest import apps, checks, git, issues, pulls, repositories

# Checks come before repositories: `commits/{ref}/check-runs` must win over `commits/{ref:path}`.
ENDPOINTS = [*apps.ENDPOINTS, *checks.ENDPOINTS, *repositories.ENDPOINTS, *git.ENDPOINTS, *pulls.ENDPOINTS, *issues.ENDPOINTS]
