

# Appended by the app role's molecule test: the release task (flask) still
# imports the app, gunicorn cannot start this release.
import sys  # noqa: E402

if "gunicorn" in sys.argv[0]:
    raise RuntimeError("this release does not start under gunicorn, on purpose")
