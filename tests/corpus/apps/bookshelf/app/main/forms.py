from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class BookForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(1, 200)])
    author = StringField("Author", validators=[DataRequired(), Length(1, 120)])
    year = IntegerField("Year published", validators=[Optional(), NumberRange(0, 2100)])
    submit = SubmitField("Add to my shelf")
