"""Show a service's refusal where the person will read it: beside the field, or as a message."""
from django.contrib import messages
from django.core.exceptions import ValidationError


def add_service_errors(form, error: ValidationError) -> None:
    """Put error's messages on form: on the field they name when the form has it, else on the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


def form_errors_json(form) -> dict[str, list[str]]:
    """Return form's errors as {field: [message, ...]} for a script to mark the fields; "__all__" for the form."""
    return {field: [str(message) for message in field_errors] for field, field_errors in form.errors.items()}


def act_and_tell(request, action, success) -> bool:
    """Run action(); flash success() if it worked, else the refusal's message. Return whether it worked."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, success())
    return True
