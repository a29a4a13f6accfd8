"""``python -m wechat_material.cli`` runs ``wxm``."""

from wechat_material.cli import main

main()
