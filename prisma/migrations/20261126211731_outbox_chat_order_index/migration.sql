-- CreateIndex
CREATE INDEX "OutboxMessage_channel_chatId_status_createdAt_idx" ON "OutboxMessage"("channel", "chatId", "status", "createdAt");

