from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('hub', '0006_event_door_window')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GateAnnulment',
            fields=[
                ('scan_id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('hub.Org', source_field='org_id', db_constraint=True, to_field='id', related_name='gate_annulments', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('hub.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='gate_annulments', on_delete=OnDelete.CASCADE)),
                ('staff_id', fields.CharField(null=True, max_length=64)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'gate_annulment', 'app': 'hub', 'pk_attr': 'scan_id', 'table_description': 'An admitted scan a supervisor said no longer counts.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GateScan',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('hub.Org', source_field='org_id', db_constraint=True, to_field='id', related_name='gate_scans', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('hub.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='gate_scans', on_delete=OnDelete.CASCADE)),
                ('ticket_id', fields.UUIDField(null=True)),
                ('gate', fields.CharField(default='', max_length=64)),
                ('device', fields.CharField(null=True, max_length=200)),
                ('direction', fields.CharField(default='in', max_length=8)),
                ('status', fields.CharField(default='rejected', max_length=16)),
                ('reason', fields.CharField(null=True, max_length=32)),
                ('at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('hlc', fields.BigIntField(null=True)),
                ('site', fields.CharField(null=True, max_length=32)),
                ('staff_id', fields.CharField(null=True, max_length=64)),
                ('override_of', fields.UUIDField(null=True)),
                ('note', fields.TextField(null=True, unique=False)),
                ('message', fields.TextField(null=True, unique=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'gate_scan', 'app': 'hub', 'indexes': [Index(fields=['event_id', 'at']), Index(fields=['event_id', 'ticket_id'])], 'pk_attr': 'id', 'table_description': "A scan a gate recorded (admitted, rejected, exit or a supervisor's override)."},
            bases=['Model'],
        ),
    ]
