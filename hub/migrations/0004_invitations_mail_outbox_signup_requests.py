from tortoise import migrations
from tortoise.migrations import operations as ops
from hub.models.mail import MailStatus
from hub.roles import Role
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('hub', '0003_ticket_status_reason')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('hub.Org', source_field='org_id', null=True, db_constraint=True, to_field='id', related_name='mail', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('sender', fields.CharField(max_length=254)),
                ('to_address', fields.CharField(max_length=254)),
                ('subject', fields.CharField(max_length=300)),
                ('message_id', fields.CharField(max_length=300)),
                ('content', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=MailStatus.QUEUED, description='QUEUED: queued\nSENT: sent\nSAVED: saved\nFAILED: failed\nCANCELLED: cancelled', enum_type=MailStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('delivery_note', fields.CharField(default='', max_length=500)),
                ('sent_by', fields.CharField(default='', max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('queued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mail_outbox', 'app': 'hub', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One email, composed when it was queued (so retries send the same Message-ID).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Invitation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('hub.Org', source_field='org_id', db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('role', fields.CharEnumField(description='ADMIN: admin\nEVENT_MANAGER: event_manager\nDOOR_STAFF: door_staff\nFINANCE: finance\nREAD_ONLY: read_only', enum_type=Role, max_length=20)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('invited_by', fields.CharField(max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('mail', fields.ForeignKeyField('hub.OutboxMessage', source_field='mail_id', null=True, db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.SET_NULL)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('accepted_by', fields.ForeignKeyField('hub.User', source_field='accepted_by_id', null=True, db_constraint=True, to_field='id', related_name='accepted_invitations', on_delete=OnDelete.SET_NULL)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'invitation', 'app': 'hub', 'indexes': [Index(fields=['org_id', 'email'])], 'pk_attr': 'id', 'table_description': 'An email address invited with a role. The link holds a random token; only its'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignupRequest',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('email', fields.CharField(max_length=254)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'signup_request', 'app': 'hub', 'indexes': [Index(fields=['email', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An address someone wants an account for. The emailed link (whose token is kept only'},
            bases=['Model'],
        ),
    ]
