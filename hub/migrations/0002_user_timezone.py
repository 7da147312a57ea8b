from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='timezone',
            field=fields.CharField(default='UTC', db_default='UTC', max_length=64),
        ),
    ]
