FLASK_APP=taskboard.py
