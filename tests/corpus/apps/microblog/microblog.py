import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app, db
from app.models import Post, User

app = create_app()


@app.shell_context_processor
def make_shell_context():
    return {"sa": sa, "db": db, "User": User, "Post": Post}


@app.cli.command()
def deploy():
    """Run deployment tasks: migrate the database, then seed it."""
    upgrade()

    # the house account and its welcome post, created once
    house = db.session.scalar(sa.select(User).where(User.username == "microblog"))
    if house is None:
        house = User(username="microblog", email="microblog@localhost")
        db.session.add(house)
    if db.session.scalar(sa.select(Post).where(Post.author == house)) is None:
        db.session.add(Post(body="Welcome to microblog! Say hello to everyone.",
                            author=house, language="en"))
    db.session.commit()
