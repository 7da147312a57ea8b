from tortoise import migrations
from tortoise.migrations import operations as ops
from hub.models.devices import DeviceState
from tortoise.fields.base import OnDelete
from tortoise.fields.db_defaults import SqlDefault
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

# Gate names were free text of check-in lists and entry rules: each distinct one an event
# already uses becomes one of its gates, so old lists and rules keep naming real gates.
EXISTING_GATES = """
INSERT INTO event_gate (id, org_id, event_id, name, created_at)
SELECT gen_random_uuid(), org_id, event_id, name, now() FROM (
    SELECT c.org_id, c.event_id, left(btrim(g.name), 64) AS name
    FROM check_in_list c, jsonb_array_elements_text(c.gates::jsonb) AS g(name)
    UNION
    SELECT r.org_id, r.event_id, left(btrim(r.gate), 64) FROM gate_rule r WHERE r.gate IS NOT NULL
) AS used
WHERE name <> ''
ON CONFLICT (event_id, name) DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [('hub', '0007_gate_scans')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Device',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('hub.Org', source_field='org_id', db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.CASCADE)),
                ('venue', fields.ForeignKeyField('hub.Venue', source_field='venue_id', db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('gate', fields.CharField(max_length=64)),
                ('state', fields.CharEnumField(default=DeviceState.PENDING, description='PENDING: pending\nACTIVE: active\nREVOKED: revoked', enum_type=DeviceState, max_length=8)),
                ('public_key', fields.BinaryField(null=True)),
                ('host_name', fields.CharField(default='', max_length=200)),
                ('software_version', fields.CharField(default='', max_length=64)),
                ('enrolled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('clock_offset_ms', fields.BigIntField(null=True)),
                ('backlog', fields.IntField(null=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'device', 'app': 'hub', 'unique_together': (('venue', 'name'),), 'pk_attr': 'id', 'table_description': 'A gate device (a Pi at an entrance) of one venue.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeviceEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('hub.Org', source_field='org_id', db_constraint=True, to_field='id', related_name='device_events', on_delete=OnDelete.CASCADE)),
                ('device', fields.ForeignKeyField('hub.Device', source_field='device_id', db_constraint=True, to_field='id', related_name='serves', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('hub.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'device_event', 'app': 'hub', 'unique_together': (('device', 'event'),), 'pk_attr': 'id', 'table_description': 'That a device serves an event (of its venue).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeviceNonce',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('device_id', fields.CharField(max_length=64)),
                ('nonce', fields.CharField(max_length=32)),
                ('stamp', fields.BigIntField()),
            ],
            options={'table': 'device_nonce', 'app': 'hub', 'unique_together': (('device_id', 'nonce'),), 'indexes': [Index(fields=['stamp'])], 'pk_attr': 'id', 'table_description': 'A nonce of a device-signed request some hub worker accepted: a repeat is a replay.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EnrolmentToken',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('hub.Org', source_field='org_id', db_constraint=True, to_field='id', related_name='enrolment_tokens', on_delete=OnDelete.CASCADE)),
                ('device', fields.ForeignKeyField('hub.Device', source_field='device_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('token_sha256', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'enrolment_token', 'app': 'hub', 'pk_attr': 'id', 'table_description': 'A one-time token a device enrols with; only its SHA-256 is kept.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EventGate',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('hub.Org', source_field='org_id', db_constraint=True, to_field='id', related_name='event_gates', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('hub.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='gates', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'event_gate', 'app': 'hub', 'unique_together': (('event', 'name'),), 'pk_attr': 'id', 'table_description': 'One entrance of an event ("north"): check-in lists, rules and devices name it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HubIdentity',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=16)),
                ('hub_id', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hub_identity', 'app': 'hub', 'pk_attr': 'id', 'table_description': "The hub's own stable id (one row, made on first use): enrolment tokens name it, so a"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Venue',
            name='sync_secret',
            field=fields.BinaryField(db_default=SqlDefault('uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())')),
        ),
        ops.RunSQL(EXISTING_GATES, reverse_sql="DELETE FROM event_gate"),
    ]
