from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0004_invitations_mail_outbox_signup_requests')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Ticket',
            name='seat',
            field=fields.ForeignKeyField('hub.Seat', source_field='seat_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.RESTRICT),
        ),
    ]
