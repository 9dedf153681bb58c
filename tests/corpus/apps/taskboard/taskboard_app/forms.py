from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Log in")


class SignupForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=50)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=6)])
    confirm = PasswordField("Confirm", validators=[EqualTo("password")])
    submit = SubmitField("Sign up")


class TaskForm(FlaskForm):
    title = StringField("New task", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Add")


class RobotForm(FlaskForm):
    title = StringField("Task for the robot", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Hand it over")
