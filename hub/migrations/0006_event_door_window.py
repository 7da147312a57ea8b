from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0005_ticket_seat_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Event',
            name='door_opens_minutes',
            field=fields.IntField(default=120, db_default=120),
        ),
        ops.AddField(
            model_name='Event',
            name='door_policy',
            field=fields.CharField(default='warn', db_default='warn', max_length=8),
        ),
    ]
