from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0002_user_timezone')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Ticket',
            name='status_reason',
            field=fields.CharField(default='', db_default='', max_length=100),
        ),
    ]
