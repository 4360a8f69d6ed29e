"""Personal links and access codes at rest: keyed hashes and ciphertexts instead of plaintext.

Every link and code already sent keeps working: the existing plaintext values are hashed and
encrypted under the current TOKEN_SECRET (credentials.py), then the plaintext columns are dropped.
The copies of links and codes inside stored e-mails (outbox) become placeholders that are filled
in only when a message is sent (Invitation.conceal / reveal). Backwards, the plaintext comes back
from the ciphertexts (the secret must be the same).
"""

from django.db import migrations, models

from invitations import credentials
from invitations.credentials import ACCESS_CODE, CODE_PLACEHOLDER, TOKEN, TOKEN_PLACEHOLDER, format_access_code
BATCH = 500


def to_hashes(apps, schema_editor):
    Invitation = apps.get_model("invitations", "Invitation")
    OutboxMessage = apps.get_model("invitations", "OutboxMessage")
    batch = []
    for invitation in Invitation.objects.only("id", "token", "access_code").iterator(chunk_size=BATCH):
        invitation.token_hash = credentials.stored_hash(TOKEN, invitation.token)
        invitation.token_encrypted = credentials.encrypt(invitation.token)
        invitation.access_code_hash = credentials.stored_hash(ACCESS_CODE, invitation.access_code)
        invitation.access_code_encrypted = credentials.encrypt(invitation.access_code)
        batch.append(invitation)
        messages = []
        for message in OutboxMessage.objects.filter(invitation_id=invitation.id).only("id", "body_text", "body_html"):
            for field in ("body_text", "body_html"):
                text = getattr(message, field)
                text = text.replace(invitation.token, TOKEN_PLACEHOLDER)
                text = text.replace(format_access_code(invitation.access_code), CODE_PLACEHOLDER)
                setattr(message, field, text)
            messages.append(message)
        OutboxMessage.objects.bulk_update(messages, ["body_text", "body_html"])
        if len(batch) >= BATCH:
            Invitation.objects.bulk_update(batch, ["token_hash", "token_encrypted", "access_code_hash",
                                                   "access_code_encrypted"])
            batch = []
    Invitation.objects.bulk_update(batch, ["token_hash", "token_encrypted", "access_code_hash",
                                           "access_code_encrypted"])


def to_plaintext(apps, schema_editor):
    Invitation = apps.get_model("invitations", "Invitation")
    OutboxMessage = apps.get_model("invitations", "OutboxMessage")
    for invitation in Invitation.objects.iterator(chunk_size=BATCH):
        invitation.token = credentials.decrypt(invitation.token_encrypted)
        invitation.access_code = credentials.decrypt(invitation.access_code_encrypted)
        invitation.save(update_fields=["token", "access_code"])
        for message in OutboxMessage.objects.filter(invitation_id=invitation.id):
            for field in ("body_text", "body_html"):
                text = getattr(message, field).replace(TOKEN_PLACEHOLDER, invitation.token)
                setattr(message, field, text.replace(CODE_PLACEHOLDER, format_access_code(invitation.access_code)))
            message.save(update_fields=["body_text", "body_html"])


class Migration(migrations.Migration):

    dependencies = [
        ("invitations", "0002_outbox_delivery_fields"),
    ]

    operations = [
        migrations.AddField("invitation", "token_hash", models.CharField(editable=False, max_length=64, null=True)),
        migrations.AddField("invitation", "token_encrypted", models.TextField(default="", editable=False),
                            preserve_default=False),
        migrations.AddField("invitation", "access_code_hash",
                            models.CharField(editable=False, max_length=64, null=True)),
        migrations.AddField("invitation", "access_code_encrypted", models.TextField(default="", editable=False),
                            preserve_default=False),
        # the old columns may be empty while going backwards (filled by to_plaintext)
        migrations.AlterField("invitation", "token", models.CharField(editable=False, max_length=64, null=True)),
        migrations.AlterField("invitation", "access_code",
                              models.CharField(editable=False, max_length=32, null=True)),
        migrations.RunPython(to_hashes, to_plaintext, elidable=False),
        migrations.RemoveField("invitation", "token"),
        migrations.RemoveField("invitation", "access_code"),
        migrations.AlterField("invitation", "token_hash",
                              models.CharField(editable=False, max_length=64, unique=True)),
        migrations.AlterField("invitation", "access_code_hash",
                              models.CharField(editable=False, max_length=64, unique=True)),
    ]
