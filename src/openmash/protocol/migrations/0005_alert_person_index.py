# The alert relationship (access layer) and the person page read alerts by person.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('protocol', '0004_linkwatermark'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='alert',
            index=models.Index(fields=['person_id_then', 'created_at'], name='alert_person'),
        ),
    ]
