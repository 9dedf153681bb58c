from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Log in")


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired()])
    password_again = PasswordField("Password again", validators=[EqualTo("password")])
    submit = SubmitField("Register")


class PhotoForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    caption = TextAreaField("Caption", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Add photo")


class WatermarkForm(FlaskForm):
    text = StringField("Watermark text", validators=[DataRequired(), Length(max=120)])
    submit = SubmitField("Render mirrored")
