# A challenge is resolved by a manager: upheld (with a reply to the referrer) or revised (a new decision).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0001_initial'),
        ('protocol', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='thresholddecision',
            name='decided_in',
            field=models.CharField(blank=True, max_length=250),
        ),
        migrations.AddField(
            model_name='challenge',
            name='resolution',
            field=models.CharField(blank=True, choices=[('upheld', 'Decision upheld'), ('revised', 'Decision revised')],
                                   max_length=16),
        ),
        migrations.AddField(
            model_name='challenge',
            name='resolved_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='challenge',
            name='resolved_by',
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddField(
            model_name='challenge',
            name='resolved_by_team',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='challenge',
            name='response',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='challenge',
            name='revision',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                       related_name='resolves', to='casework.thresholddecision'),
        ),
        migrations.AddField(
            model_name='challenge',
            name='outcome_notification',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                       related_name='challenge_outcome', to='protocol.notification'),
        ),
    ]
